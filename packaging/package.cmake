# `make package`: a Debian package (CPack) with the three programs, their man pages, the
# desktop entry and icon, the auralis-node service and its /etc/default file, and the
# Prometheus, Grafana and Icecast files under /usr/share/auralis.
include(GNUInstallDirs)
set(_pkg ${PROJECT_SOURCE_DIR}/packaging)

# Man pages compressed as Debian wants them (gzip -9n: reproducible).
find_program(AURALIS_GZIP gzip REQUIRED)
foreach(page auralis auralis-node auralis-client)
    add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/man/${page}.1.gz
        COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
        COMMAND ${AURALIS_GZIP} -9n -c ${_pkg}/man/${page}.1 > ${CMAKE_BINARY_DIR}/man/${page}.1.gz
        DEPENDS ${_pkg}/man/${page}.1 VERBATIM)
    list(APPEND _manpages ${CMAKE_BINARY_DIR}/man/${page}.1.gz)
endforeach()
add_custom_target(auralis_manpages ALL DEPENDS ${_manpages})
install(FILES ${_manpages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

install(FILES ${_pkg}/debian/auralis.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/auralis.png
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/128x128/apps)
install(FILES ${_pkg}/debian/auralis-node.service DESTINATION /lib/systemd/system)
install(FILES ${_pkg}/debian/auralis-node.default DESTINATION /etc/default RENAME auralis-node)
install(FILES ${_pkg}/prometheus/prometheus.yml ${_pkg}/prometheus/alerts.yml
              ${_pkg}/prometheus/alerts_test.yml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/auralis/prometheus)
install(FILES ${_pkg}/grafana/auralis.json DESTINATION ${CMAKE_INSTALL_DATADIR}/auralis/grafana)
install(DIRECTORY ${_pkg}/grafana/provisioning DESTINATION ${CMAKE_INSTALL_DATADIR}/auralis/grafana)
install(FILES ${_pkg}/icecast/master.xml ${_pkg}/icecast/relay.xml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/auralis/icecast)
install(FILES ${_pkg}/nginx/auralis.conf DESTINATION ${CMAKE_INSTALL_DATADIR}/auralis/nginx)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${_pkg}/debian/copyright
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/auralis)
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/debian/changelog.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/debian
    COMMAND ${AURALIS_GZIP} -9n -c ${_pkg}/debian/changelog > ${CMAKE_BINARY_DIR}/debian/changelog.gz
    DEPENDS ${_pkg}/debian/changelog VERBATIM)
add_custom_target(auralis_changelog ALL DEPENDS ${CMAKE_BINARY_DIR}/debian/changelog.gz)
install(FILES ${CMAKE_BINARY_DIR}/debian/changelog.gz DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/auralis)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME auralis)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Auralis team <auralis@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "ambient synthesis node and operations dashboard")
set(CPACK_PACKAGE_DESCRIPTION
    "Auralis composes never-repeating ambient music, renders it (CUDA or CPU)\n"
    "and streams it to any number of listeners: a web page, an Ogg/Opus stream\n"
    "for any player, a WebSocket client, and Icecast relays. Prometheus metrics\n"
    "and a Qt desktop dashboard show how it performs.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION sound)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/auralis/auralis")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/debian/conffiles)
file(WRITE ${CMAKE_BINARY_DIR}/debian/conffiles "/etc/default/auralis-node\n")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
include(CPack)
