# cenote_embed_files(<asm_out> <symbol_prefix> <rows_var> <decls_var> FILES <file>...)
#
# Embeds files into the binary: writes an assembly file `<asm_out>` that `.incbin`s each file (each followed
# by a NUL byte) and sets, in the caller's scope, `<decls_var>` to the C declarations of their begin/end
# symbols and `<rows_var>` to one C++ initializer row per file,
#     {"<uid>", "<file name>", std::string_view(<begin>, <size>)},
# where uid is the file name up to its first '.'. Assembling is instant, unlike compiling a large string
# literal. The caller writes the C++ table around the rows and adds `<asm_out>` to a target; the assembly is
# redone when an embedded file changes.
function(cenote_embed_files asm_out symbol_prefix rows_var decls_var)
  cmake_parse_arguments(PARSE_ARGV 4 arg "" "" "FILES")
  set(asm "")
  set(decls "")
  set(rows "")
  set(index 0)
  foreach(f IN LISTS arg_FILES)
    get_filename_component(fname "${f}" NAME)
    string(REGEX REPLACE "\\..*$" "" uid "${fname}")
    set(sym "${symbol_prefix}_${index}")
    string(APPEND asm "  .global ${sym}_begin\n  .global ${sym}_end\n  .balign 16\n${sym}_begin:\n  .incbin \"${f}\"\n${sym}_end:\n  .byte 0\n")
    string(APPEND decls "extern const char ${sym}_begin[];\nextern const char ${sym}_end[];\n")
    string(APPEND rows "    {\"${uid}\", \"${fname}\", std::string_view(${sym}_begin, static_cast<std::size_t>(${sym}_end - ${sym}_begin))},\n")
    math(EXPR index "${index} + 1")
  endforeach()
  file(CONFIGURE OUTPUT "${asm_out}" CONTENT
"  .section .rodata
${asm}
  .section .note.GNU-stack,\"\",@progbits
")
  set_source_files_properties("${asm_out}" PROPERTIES OBJECT_DEPENDS "${arg_FILES}")
  set(${rows_var} "${rows}" PARENT_SCOPE)
  set(${decls_var} "${decls}" PARENT_SCOPE)
endfunction()
