# The TensorFlow C API of the installed wheel, for the C programs that serve
# laplace_rice SavedModels (examples/serving, bench/soak_c). They link the C
# API the wheel exports (libtensorflow_cc.so.2, libtensorflow_framework.so.2);
# nothing of laplace_rice is linked, the op library is loaded at run time
# with TF_LoadLibrary.
#
#   include(<repo>/cmake/TensorFlowCApi.cmake)
#   laplace_rice_link_tf_c_api(my_target)
#
# TF_INCLUDE_DIR / TF_LIB_DIR may be given; else the Python that has
# TensorFlow is asked.
if(NOT TF_INCLUDE_DIR OR NOT TF_LIB_DIR)
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env TF_CPP_MIN_LOG_LEVEL=3 ${Python3_EXECUTABLE} -c
            "import sys, tensorflow as tf; sys.stdout.write(tf.sysconfig.get_include() + ';' + tf.sysconfig.get_lib())"
    OUTPUT_VARIABLE _tf_dirs RESULT_VARIABLE _tf_result ERROR_QUIET)
  if(NOT _tf_result EQUAL 0)
    message(FATAL_ERROR "TensorFlow is not importable from ${Python3_EXECUTABLE}; "
                        "pass -DTF_INCLUDE_DIR=... -DTF_LIB_DIR=...")
  endif()
  list(GET _tf_dirs 0 TF_INCLUDE_DIR)
  list(GET _tf_dirs 1 TF_LIB_DIR)
endif()

find_file(TF_CC_LIBRARY libtensorflow_cc.so.2 PATHS ${TF_LIB_DIR} NO_DEFAULT_PATH REQUIRED)
find_file(TF_FRAMEWORK_LIBRARY libtensorflow_framework.so.2 PATHS ${TF_LIB_DIR}
          NO_DEFAULT_PATH REQUIRED)

# Compiles `target` against the C API headers (as SYSTEM headers: our
# warnings stay visible, theirs silent) and links it with the wheel's
# libraries, found at run time through its RPATH.
function(laplace_rice_link_tf_c_api target)
  target_include_directories(${target} SYSTEM PRIVATE ${TF_INCLUDE_DIR})
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                         -Wno-sign-conversion)
  target_link_libraries(${target} PRIVATE ${TF_CC_LIBRARY} ${TF_FRAMEWORK_LIBRARY} m)
  set_target_properties(${target} PROPERTIES BUILD_RPATH ${TF_LIB_DIR})
endfunction()
