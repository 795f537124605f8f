from conan.errors import ConanInvalidConfiguration


def check_min_cppstd(conanfile, cppstd, gnu_extensions=False):
    value = conanfile.settings.get_safe("compiler.cppstd")
    if value is None:
        return
    number = int(str(value).replace("gnu", ""))
    # 98 sorts as the oldest
    if (number if number != 98 else -2) < int(cppstd):
        raise ConanInvalidConfiguration(f"requires C++{cppstd}, compiler.cppstd is {value}")


def can_run(conanfile):
    return True
