# The tree-sitter-python grammar, pinned in deps/tree-sitter-python/package-lock.json.
# Fetched from the npm registry with `npm ci --ignore-scripts` (no install scripts run);
# only its generated src/parser.c and src/scanner.c are compiled. Never committed.
set(GRAMMAR_DIR ${CMAKE_SOURCE_DIR}/deps/tree-sitter-python)
set(GRAMMAR_SRC ${GRAMMAR_DIR}/node_modules/tree-sitter-python/src)
if(NOT EXISTS ${GRAMMAR_SRC}/parser.c)
  find_program(NPM npm REQUIRED)
  message(STATUS "Fetching tree-sitter-python with npm ci --ignore-scripts")
  execute_process(
    COMMAND ${NPM} ci --ignore-scripts --no-audit --no-fund
    WORKING_DIRECTORY ${GRAMMAR_DIR}
    RESULT_VARIABLE npm_result)
  if(NOT npm_result EQUAL 0 OR NOT EXISTS ${GRAMMAR_SRC}/parser.c)
    message(FATAL_ERROR "Could not fetch tree-sitter-python (npm ci failed in ${GRAMMAR_DIR})")
  endif()
endif()
add_library(tree_sitter_python STATIC ${GRAMMAR_SRC}/parser.c ${GRAMMAR_SRC}/scanner.c)
target_include_directories(tree_sitter_python PRIVATE ${GRAMMAR_SRC})
set_target_properties(tree_sitter_python PROPERTIES POSITION_INDEPENDENT_CODE ON C_STANDARD 11)
target_compile_options(tree_sitter_python PRIVATE -w -O2)
