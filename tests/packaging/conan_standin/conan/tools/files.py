"""conan.tools.files: copy() and load() with Conan 2's semantics for the arguments used."""
import fnmatch
import os
import shutil


def load(conanfile, path, encoding="utf-8"):
    with open(path, encoding=encoding) as f:
        return f.read()


def copy(conanfile, pattern, src, dst, keep_path=True, excludes=None):
    """Copies the files under src whose path relative to src matches pattern (fnmatch, so `*`
    also crosses directories, as in Conan); returns the copied destination paths."""
    copied = []
    for dirpath, _, filenames in os.walk(src):
        for filename in filenames:
            full = os.path.join(dirpath, filename)
            rel = os.path.relpath(full, src)
            if not fnmatch.fnmatch(rel, pattern):
                continue
            if excludes and any(fnmatch.fnmatch(rel, e) for e in excludes):
                continue
            target = os.path.join(dst, rel if keep_path else filename)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(full, target)
            copied.append(target)
    return copied
