# Install rules of the C++ package (included from cc/codec/CMakeLists.txt).
#
# Everything goes to the install component `codec`, so that the Python wheel
# (scikit-build-core installs the component `python` only) never carries it.
#   cmake --install build --component codec --prefix /opt/laplace_rice
include(CMakePackageConfigHelpers)

set(_lr_targets laplace_rice_codec)
if(TARGET laplace_rice_codec_shared)
  list(APPEND _lr_targets laplace_rice_codec_shared)
endif()
set(LAPLACE_RICE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/LaplaceRice)

install(TARGETS ${_lr_targets} EXPORT LaplaceRiceTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT codec
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT codec
          NAMELINK_COMPONENT codec
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT codec
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${CODEC_PUBLIC_HEADERS}
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/laplace_rice COMPONENT codec)
install(EXPORT LaplaceRiceTargets NAMESPACE LaplaceRice::
  DESTINATION ${LAPLACE_RICE_CMAKE_DIR} COMPONENT codec)

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/LaplaceRiceConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/LaplaceRiceConfig.cmake
  INSTALL_DESTINATION ${LAPLACE_RICE_CMAKE_DIR})
# 1.x is compatible with 1.0: find_package(LaplaceRice 1.0) accepts any 1.y.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/LaplaceRiceConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/cmake/LaplaceRiceConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/LaplaceRiceConfigVersion.cmake
  DESTINATION ${LAPLACE_RICE_CMAKE_DIR} COMPONENT codec)

# pkg-config: the prefix is found relative to the .pc file, so an installed
# tree can be moved. Links the shared library when there is one.
set(_lr_pc_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH LAPLACE_RICE_PC_PREFIX /${_lr_pc_dir} /)
string(REGEX REPLACE "/$" "" LAPLACE_RICE_PC_PREFIX "${LAPLACE_RICE_PC_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/laplace_rice.pc.in
  ${PROJECT_BINARY_DIR}/cmake/laplace_rice.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/cmake/laplace_rice.pc
  DESTINATION ${_lr_pc_dir} COMPONENT codec)
