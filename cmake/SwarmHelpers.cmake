# Small helpers so that every part is declared the same way.

# swarm_library(<part> SOURCES ... [DEPS ...])
# Defines target swarm_<part> (alias swarm::<part>); sources include by full path from src/.
function(swarm_library part)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(swarm_${part} STATIC ${ARG_SOURCES})
  add_library(swarm::${part} ALIAS swarm_${part})
  target_include_directories(swarm_${part} PUBLIC
    ${PROJECT_SOURCE_DIR}/src ${PROJECT_BINARY_DIR}/generated)
  target_link_libraries(swarm_${part} PUBLIC ${ARG_DEPS})
endfunction()

# swarm_test(<name> SOURCES ... [DEPS ...] [LABELS ...])
# A GoogleTest binary whose cases are registered one by one with CTest.
function(swarm_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT BUILD_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  set(labels unit)
  if(ARG_LABELS)
    set(labels ${ARG_LABELS})
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST PROPERTIES LABELS "${labels}")
endfunction()
