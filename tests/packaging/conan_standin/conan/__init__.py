"""A stand-in for the parts of Conan 2's API that rtwire's recipes import, so that
tests/packaging/conan_check.py can run the recipe's methods offline. Each piece does what Conan's
does to the files and attributes the recipes touch, nothing more; anything else is absent, so a
recipe that starts using it fails here until the stand-in models it."""


class _Info:
    """ConanFile.info as package_id() sees it: clear() drops settings, options and requires."""

    def __init__(self, settings):
        self.settings = dict(settings)
        self.options = {}
        self.requires = []
        self.cleared = False

    def clear(self):
        self.settings.clear()
        self.options.clear()
        self.requires.clear()
        self.cleared = True


class _CppInfo:
    def __init__(self):
        self.includedirs = ["include"]
        self.libdirs = ["lib"]
        self.bindirs = ["bin"]
        self.libs = []
        self.defines = []
        self.properties = {}

    def set_property(self, name, value):
        self.properties[name] = value

    def get_property(self, name):
        return self.properties.get(name)


class _Settings(dict):
    def get_safe(self, name, default=None):
        return self.get(name, default)


class ConanFile:
    name = None
    version = None
    settings = ()
    exports = ()
    exports_sources = ()
    no_copy_source = False
    package_type = None
    generators = ()

    def __init__(self, recipe_folder, settings=None):
        self.recipe_folder = recipe_folder
        self.settings = _Settings(settings or {})
        self.info = _Info(self.settings)
        self.cpp_info = _CppInfo()
        self.source_folder = None
        self.package_folder = None
        self.folders_layout = None
        self.requirements_list = []
        self.tested_reference_str = None

    def requires(self, ref):
        self.requirements_list.append(ref)

    def run(self, command, env=None):
        raise NotImplementedError("the stand-in does not run commands")
