# embed.cmake - turn a file into a C header holding its bytes, so pages and
# documents the server sends are part of the binary yet edited as files:
#
#   cmake -DIN=src/http/native_docs.html -DOUT=gen/native_docs_html.h \
#         -DNAME=lk_nat_docs_html -P tools/embed.cmake
#
# gives  static const unsigned char lk_nat_docs_html[] = { ..., 0x00 };
#        static const size_t lk_nat_docs_html_len = N;  (the NUL not counted)
# A byte array, not a string literal: C11 promises string literals only up
# to 4095 characters.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" digits)
math(EXPR size "${digits} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# 16 bytes a line keeps compiler diagnostics and diffs of the header sane
string(REGEX REPLACE "((0x..,){16})" "\\1\n" bytes "${bytes}")
get_filename_component(from "${IN}" NAME)
set(text "/* generated from ${from} by tools/embed.cmake: edit that file */\n")
string(APPEND text "#include <stddef.h>\n")
string(APPEND text "static const unsigned char ${NAME}[] = {\n${bytes}0x00\n};\n")
string(APPEND text "static const size_t ${NAME}_len = ${size};\n")
file(WRITE "${OUT}" "${text}")
