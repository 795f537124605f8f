# Doc tests: writes every ```cpp block of a Markdown file, in order, into one C++ program.
# Usage: cmake -DINPUT=README.md -DCONTEXT=readme_context.hpp -DOUTPUT=snippets.cpp -P this.
# `#include` lines are hoisted to the top; the rest of every block becomes the body of one
# function, read in order as a reader reads the page (a later snippet may use what an earlier one
# declared, e.g. the handshake's `r`). CONTEXT declares the names the page takes from its
# surroundings (`received`, `text`, ...) and defines readme::check(), which main() returns.
file(READ "${INPUT}" page)
# CMake lists split on ';', which C++ is full of: carry it as a placeholder until written.
string(REPLACE ";" "@SEMICOLON@" page "${page}")
string(REPLACE "\n" ";" lines "${page}")
set(includes "")
set(body "")
set(in_block FALSE)
set(blocks 0)
foreach(line IN LISTS lines)
  if(in_block)
    if(line MATCHES "^```")
      set(in_block FALSE)
    elseif(line MATCHES "^#include")
      string(APPEND includes "${line}\n")
    else()
      string(APPEND body "  ${line}\n")
    endif()
  elseif(line MATCHES "^```cpp")
    set(in_block TRUE)
    math(EXPR blocks "${blocks} + 1")
    string(APPEND body "  // --- snippet ${blocks} of ${INPUT}\n")
  endif()
endforeach()
if(blocks EQUAL 0)
  message(FATAL_ERROR "no ```cpp block in ${INPUT}")
endif()
set(program "// Generated from ${INPUT} by tests/doc/extract_snippets.cmake: do not edit.\n")
string(APPEND program "${includes}\n#include \"${CONTEXT}\"\n\n")
string(APPEND program "namespace {\nvoid snippets() {\n  using namespace readme@SEMICOLON@\n${body}}\n}  // namespace\n\n")
string(APPEND program "int main() {\n  snippets()@SEMICOLON@\n  return readme::check()@SEMICOLON@\n}\n")
string(REPLACE "@SEMICOLON@" ";" program "${program}")
file(WRITE "${OUTPUT}.tmp" "${program}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
