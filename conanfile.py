# Conan 2 recipe for the checkout it sits in: `conan create .` packages this tree's headers.
# (A ConanCenter recipe, which downloads the release archive in source(), is a separate file.)
# The version is project()'s in CMakeLists.txt; `--version` may repeat it, never change it.
import os
import re

from conan import ConanFile
from conan.errors import ConanInvalidConfiguration
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy, load
from conan.tools.layout import basic_layout

required_conan_version = ">=2.0"


class RtwireConan(ConanFile):
    name = "rtwire"
    description = ("Header-only C++20 sans-IO codecs for the real-time web: WebSocket (RFC 6455), "
                   "Server-Sent Events, long polling, SDP and ICE candidates.")
    license = "MIT"
    url = "https://github.com/rtwire/rtwire"
    homepage = "https://github.com/rtwire/rtwire"
    topics = ("websocket", "server-sent-events", "long-polling", "sdp", "ice", "sans-io",
              "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    # set_version() reads project() from CMakeLists.txt next to the recipe; the sources are the
    # headers and the license, and that is all the package holds.
    exports = "CMakeLists.txt"
    exports_sources = "include/*", "LICENSE"
    no_copy_source = True

    def set_version(self):
        cmakelists = load(self, os.path.join(self.recipe_folder, "CMakeLists.txt"))
        match = re.search(r"project\(\s*rtwire\s+VERSION\s+(\d+\.\d+\.\d+)", cmakelists)
        if not match:
            raise ConanInvalidConfiguration("no project(rtwire VERSION X.Y.Z) in CMakeLists.txt")
        if self.version and str(self.version) != match.group(1):
            raise ConanInvalidConfiguration(
                f"--version {self.version} differs from project() version {match.group(1)}")
        self.version = match.group(1)

    def layout(self):
        basic_layout(self, src_folder=".")

    def package_id(self):
        # Header-only: one package for every OS, compiler and build type.
        self.info.clear()

    def validate(self):
        if self.settings.get_safe("compiler.cppstd"):
            check_min_cppstd(self, 20)

    def package(self):
        copy(self, "LICENSE", src=self.source_folder,
             dst=os.path.join(self.package_folder, "licenses"))
        copy(self, "*.hpp", src=os.path.join(self.source_folder, "include"),
             dst=os.path.join(self.package_folder, "include"))

    def package_info(self):
        # The same names as the CMake install: find_package(rtwire) + rtwire::rtwire, and
        # pkg-config's rtwire.pc.
        self.cpp_info.set_property("cmake_file_name", "rtwire")
        self.cpp_info.set_property("cmake_target_name", "rtwire::rtwire")
        self.cpp_info.set_property("pkg_config_name", "rtwire")
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
