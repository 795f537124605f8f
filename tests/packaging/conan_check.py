#!/usr/bin/env python3
"""Runs rtwire's Conan 2 recipe offline against a real CMake install and checks the package.

  conan_check.py ROOT INSTALL_PREFIX PACKAGE_DIR

ROOT is the source tree (conanfile.py, test_package/), INSTALL_PREFIX a `cmake --install` of it,
PACKAGE_DIR an empty directory that receives what the recipe's package() copies. With the
stand-in `conan` module (tests/packaging/conan_standin) the recipe's own set_version(),
layout(), package_id(), validate(), package() and package_info() run; then:
  - the package holds include/ with exactly the headers the CMake install holds, and
    licenses/LICENSE, and nothing else;
  - package_info() names what the install names: find_package(<cmake_file_name>) is the
    installed <name>Config.cmake, <cmake_target_name> is the imported target in the installed
    targets file, <pkg_config_name> is the installed .pc file;
  - the version is project()'s, settings are cleared from the package id, the recipe is a
    header-library with no_copy_source;
  - test_package/conanfile.py requires the tested reference and builds with CMakeDeps.
"""
import importlib.util
import os
import py_compile
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "conan_standin"))

from conan import ConanFile  # noqa: E402  (the stand-in)
from conan.errors import ConanInvalidConfiguration  # noqa: E402

failures = []


def expect(condition, message):
    if not condition:
        failures.append(message)


def load_recipe(path):
    py_compile.compile(path, doraise=True)
    spec = importlib.util.spec_from_file_location(os.path.basename(os.path.dirname(path)) + "_recipe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    classes = [c for c in vars(module).values()
               if isinstance(c, type) and issubclass(c, ConanFile) and c is not ConanFile]
    if len(classes) != 1:
        sys.exit(f"conan_check: {path} defines {len(classes)} ConanFile classes")
    return classes[0]


def files_under(root):
    out = set()
    for dirpath, _, filenames in os.walk(root):
        for f in filenames:
            out.add(os.path.relpath(os.path.join(dirpath, f), root))
    return out


def main(root, prefix, package_dir):
    project = re.search(r"project\(\s*rtwire\s+VERSION\s+(\d+\.\d+\.\d+)",
                        open(os.path.join(root, "CMakeLists.txt")).read()).group(1)

    recipe_class = load_recipe(os.path.join(root, "conanfile.py"))
    recipe = recipe_class(root, settings={"os": "Linux", "arch": "x86_64", "compiler": "gcc",
                                          "compiler.version": "12", "compiler.cppstd": "20",
                                          "build_type": "Release"})
    recipe.set_version()
    expect(recipe.version == project, f"recipe version {recipe.version} != project() {project}")
    # --version may repeat project()'s version but not change it.
    other = recipe_class(root)
    other.version = "9.9.9"
    try:
        other.set_version()
        failures.append("set_version() accepted --version 9.9.9")
    except ConanInvalidConfiguration:
        pass
    expect(recipe.name == "rtwire", f"name is {recipe.name}")
    expect(recipe.license == "MIT", f"license is {recipe.license}")
    expect(recipe.package_type == "header-library", f"package_type is {recipe.package_type}")
    expect(recipe.no_copy_source is True, "no_copy_source is not True")
    expect(sorted(recipe.exports_sources) == ["LICENSE", "include/*"],
           f"exports_sources is {recipe.exports_sources}, expected include/* and LICENSE")
    expect(recipe.exports == "CMakeLists.txt", f"exports is {recipe.exports} (set_version needs CMakeLists.txt)")

    recipe.layout()
    recipe.package_id()
    expect(recipe.info.cleared and not recipe.info.settings, "package_id() keeps settings")
    recipe.validate()
    old = recipe_class(root, settings={"compiler.cppstd": "17"})
    try:
        old.validate()
        failures.append("validate() accepted compiler.cppstd=17")
    except ConanInvalidConfiguration:
        pass

    # package(): what `conan create .` would copy from the exported sources.
    recipe.source_folder = root
    recipe.package_folder = package_dir
    recipe.package()
    packaged = files_under(package_dir)
    installed_headers = {p for p in files_under(prefix) if p.startswith("include" + os.sep)}
    expected = installed_headers | {os.path.join("licenses", "LICENSE")}
    for extra in sorted(packaged - expected):
        failures.append(f"package() adds {extra}, which the CMake install does not have")
    for missing in sorted(expected - packaged):
        failures.append(f"package() misses {missing}")
    top = {p.split(os.sep)[0] for p in packaged}
    expect(top == {"include", "licenses"}, f"package top-level folders are {sorted(top)}")

    recipe.package_info()
    props = recipe.cpp_info.properties
    configs = [f for f in os.listdir(os.path.join(prefix, "share", "cmake", "rtwire"))
               if f.endswith("Config.cmake")]
    expect(configs == [f"{props.get('cmake_file_name')}Config.cmake"],
           f"cmake_file_name {props.get('cmake_file_name')!r}, installed config {configs}")
    targets = open(os.path.join(prefix, "share", "cmake", "rtwire", "rtwireTargets.cmake")).read()
    imported = re.findall(r"add_library\((\S+) INTERFACE IMPORTED\)", targets)
    expect(imported == [props.get("cmake_target_name")],
           f"cmake_target_name {props.get('cmake_target_name')!r}, installed targets {imported}")
    pcs = os.listdir(os.path.join(prefix, "share", "pkgconfig"))
    expect(pcs == [f"{props.get('pkg_config_name')}.pc"],
           f"pkg_config_name {props.get('pkg_config_name')!r}, installed {pcs}")
    expect(recipe.cpp_info.includedirs == ["include"], f"includedirs {recipe.cpp_info.includedirs}")
    expect(recipe.cpp_info.libdirs == [] and recipe.cpp_info.bindirs == [],
           "a header-only package must clear libdirs and bindirs")

    test_class = load_recipe(os.path.join(root, "test_package", "conanfile.py"))
    test = test_class(os.path.join(root, "test_package"))
    test.tested_reference_str = f"rtwire/{recipe.version}"
    test.requirements()
    expect(test.requirements_list == [f"rtwire/{recipe.version}"],
           f"test_package requires {test.requirements_list}")
    expect("CMakeDeps" in test.generators and "CMakeToolchain" in test.generators,
           f"test_package generators {test.generators}")
    test.layout()

    if failures:
        sys.exit("conan_check: FAILED\n  " + "\n  ".join(failures))
    print(f"conan_check: rtwire/{recipe.version}: {len(packaged)} files packaged, "
          f"find_package({props['cmake_file_name']}) -> {props['cmake_target_name']}, "
          f"pkg-config {props['pkg_config_name']}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*[os.path.abspath(a) for a in sys.argv[1:]])
