# The crawler's sources, relative to src/services/glue (compiled into cenote_glue by its CMakeLists.txt).
list(APPEND CENOTE_GLUE_CRAWLER_SOURCES
  crawler/crawl.cpp
  crawler/crawler_documents.cpp
  crawler/crawler_store.cpp
  crawler/crawlers.cpp
  crawler/layout.cpp
  crawler/table_input.cpp
  crawler/text_format.cpp)
# Text sniffing decompresses the head of gzip and zstd files (zlib, libzstd from Debian): the libraries the
# crawler needs, linked by src/services/glue/CMakeLists.txt.
set(CENOTE_GLUE_CRAWLER_LIBRARIES ZLIB::ZLIB zstd)
