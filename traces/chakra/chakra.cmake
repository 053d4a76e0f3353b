# Chakra execution-trace support (traces/chakra/): compiles trainsim's own Chakra schema
# (chakra.proto, package ChakraProtoMsg) with protoc-c into the build folder and adds the generated
# C code to trainsim_lib. Included by the top-level CMakeLists.txt right after trainsim_lib is
# defined. Nothing generated is kept in git.
pkg_check_modules(PROTOBUF_C REQUIRED IMPORTED_TARGET libprotobuf-c)
find_program(PROTOC_C NAMES protoc-c protoc-gen-c REQUIRED)

set(CHAKRA_PROTO ${CMAKE_SOURCE_DIR}/traces/chakra/chakra.proto)
set(CHAKRA_GEN_DIR ${CMAKE_BINARY_DIR}/traces/chakra/gen)
set(CHAKRA_GEN_C ${CHAKRA_GEN_DIR}/chakra.pb-c.c)
set(CHAKRA_GEN_H ${CHAKRA_GEN_DIR}/chakra.pb-c.h)

add_custom_command(
  OUTPUT ${CHAKRA_GEN_C} ${CHAKRA_GEN_H}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CHAKRA_GEN_DIR}
  COMMAND ${PROTOC_C} --proto_path=${CMAKE_SOURCE_DIR}/traces/chakra --c_out=${CHAKRA_GEN_DIR}
          ${CHAKRA_PROTO}
  DEPENDS ${CHAKRA_PROTO}
  COMMENT "protoc-c: generating the Chakra schema code"
  VERBATIM)

# Generated code is not ours to keep -Werror clean across protoc-c versions.
set_source_files_properties(${CHAKRA_GEN_C} PROPERTIES GENERATED TRUE
                            COMPILE_OPTIONS "-Wno-error;-Wno-unused-parameter")
target_sources(trainsim_lib PRIVATE ${CHAKRA_GEN_C})
# PUBLIC so that targets compiling traces/chakra sources themselves (the fuzz target) find it.
target_include_directories(trainsim_lib PUBLIC ${CHAKRA_GEN_DIR})
target_link_libraries(trainsim_lib PUBLIC PkgConfig::PROTOBUF_C)
