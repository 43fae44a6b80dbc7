# Turns a web page into a C++ string constant: herald::web::index_html.
file(READ ${INPUT} content)
set(delimiter "herald_web")
file(WRITE ${OUTPUT}
  "// Generated from web/index.html by cmake/embed_web.cmake; do not edit.\n"
  "#include <string_view>\n"
  "namespace herald::web {\n"
  "extern const std::string_view index_html;\n"
  "const std::string_view index_html = R\"${delimiter}(${content})${delimiter}\";\n"
  "} // namespace herald::web\n")
