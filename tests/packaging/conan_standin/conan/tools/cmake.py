def cmake_layout(conanfile, src_folder=".", build_folder="build"):
    conanfile.folders_layout = ("cmake", src_folder, build_folder)


class CMake:
    def __init__(self, conanfile):
        self.conanfile = conanfile

    def configure(self):
        raise NotImplementedError("the stand-in does not build; run.sh builds test_package with CMake")

    def build(self):
        raise NotImplementedError("the stand-in does not build")
