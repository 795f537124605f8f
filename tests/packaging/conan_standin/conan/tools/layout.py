def basic_layout(conanfile, src_folder=".", build_folder="build"):
    conanfile.folders_layout = ("basic", src_folder, build_folder)
