"""setup.py: builds the sqlite-lineage extension into the package.

The library is built by the project's own CMake build (the sources of
LINEAGE_SOURCES in ../CMakeLists.txt, the embedded schema), as a Release
build of the target `lineage`, and copied into sqlite_lineage/ beside
__init__.py, so the wheel holds lineage.so (lineage.dylib, lineage.dll)
for this platform. Needs cmake, a C compiler and the SQLite headers
(Debian: cmake build-essential libsqlite3-dev).
"""
import glob
import os
import shutil
import subprocess

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def version():
    with open(os.path.join(ROOT, "VERSION")) as f:
        return f.readline().strip()


class BuildWithExtension(build_py):
    """build_py, plus the CMake build of the extension into the package."""

    def run(self):
        super().run()
        cmake_dir = os.path.join(HERE, "build", "cmake")
        subprocess.check_call(["cmake", "-S", ROOT, "-B", cmake_dir,
                               "-DCMAKE_BUILD_TYPE=Release"])
        subprocess.check_call(["cmake", "--build", cmake_dir, "--target", "lineage",
                               "--config", "Release", "-j2"])
        libs = [p for p in glob.glob(os.path.join(cmake_dir, "lineage.*"))
                if os.path.splitext(p)[1] in (".so", ".dylib", ".dll")]
        if not libs:
            raise RuntimeError("sqlite-lineage: the CMake build made no lineage library in "
                               + cmake_dir)
        dest = os.path.join(self.build_lib, "sqlite_lineage")
        os.makedirs(dest, exist_ok=True)
        for lib in libs:
            shutil.copy(lib, dest)


class PlatformDistribution(Distribution):
    """The wheel holds a native library: tag it for this platform."""

    def has_ext_modules(self):
        return True


setup(version=version(), cmdclass={"build_py": BuildWithExtension},
      distclass=PlatformDistribution)
