// The one translation unit that compiles Asio (BOOST_ASIO_SEPARATE_COMPILATION). Not Asio's SSL layer:
// TLS is OpenSSL used directly (server.cpp), and compiling asio/ssl would run its static OpenSSL
// initialisation at every start (1.7 MiB of resident memory before any TLS is configured). Beast is not
// used either.
#include <boost/asio/impl/src.hpp>
