# ctihub_add_module(NAME SOURCES a.cc b.cc DEPS x y): one static library per src/ folder,
# target `ctihub_<NAME>`, headers included repo-rooted ("stix/bundle.h").
function(ctihub_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(ctihub_${name} STATIC ${ARG_SOURCES})
  target_include_directories(ctihub_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(ctihub_${name} PUBLIC ${ARG_DEPS})
endfunction()

# ctihub_add_test(NAME SOURCES a_test.cc DEPS ctihub_x): one GoogleTest binary per module.
function(ctihub_add_test name)
  if(NOT CTIHUB_TESTS OR CTIHUB_FUZZ)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    CTIHUB_SHARED_DATA="${PROJECT_SOURCE_DIR}/../shared/data"
    CTIHUB_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60)
endfunction()
