"""Upload file names: clean them for display and headers, and refuse dangerous extensions."""

from __future__ import annotations

import re
import unicodedata

from applications.uploads.formats import ALLOWED_EXTENSIONS
from applications.uploads.rejections import _reject

# Anywhere in a name (`cv.php.pdf`, `cv.pdf.php`): a web server or a desktop may run these.
DANGEROUS_EXTENSIONS = frozenset(
    """php php3 php4 php5 php7 php8 phtml phar pht asp aspx ashx asmx cer jsp jspx cfm cgi pl py
    pyc rb sh bash zsh csh ksh exe dll com bat cmd scr msi msp pif cpl hta lnk reg inf jar js mjs
    jse vbs vbe wsf wsh ps1 psm1 psd1 html htm xhtml shtml shtm svg svgz xml xsl swf app elf so
    dylib apk deb rpm""".split()
)
MAX_NAME_LENGTH = 120

_UNSAFE_NAME_CHARS = re.compile(r'[<>:"|?*]')


def filename_clean(name: str) -> str:
    """Return `name` fit to show and to put in a header, or reject it.

    NUL, CR and LF are never part of an honest name, so they reject the upload; paths, other
    control and formatting characters (such as right-to-left overrides) are dropped.
    """
    if any(char in name for char in "\x00\r\n"):
        raise _reject("The file name contains control characters.", "invalid_filename")
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]
    # Control characters (a tab, say) become spaces; format characters, such as the
    # right-to-left override that shows `cv\u202efdp.exe` as "cvexe.pdf", go.
    name = "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char
        for char in name
        if unicodedata.category(char) not in ("Cf", "Cs", "Co", "Cn")
    )
    name = _UNSAFE_NAME_CHARS.sub("_", name)
    name = " ".join(name.split())
    # Leading dots hide files; Windows ignores trailing dots and spaces (`cv.php.` is cv.php).
    name = name.strip(". ")
    if not name:
        raise _reject("The file has no usable name.", "invalid_filename")
    stem, dot, extension = name.rpartition(".")
    suffixes = [part.strip().lower() for part in name.split(".")[1:]]
    if any(suffix in DANGEROUS_EXTENSIONS for suffix in suffixes):
        raise _reject(
            "The file name has an extension of a program or web page; rename the file.",
            "dangerous_extension",
        )
    if not dot or extension.lower() not in ALLOWED_EXTENSIONS:
        raise _reject(
            "Upload a PDF, a Word document (.docx) or a text file.", "extension_not_allowed"
        )
    if len(name) > MAX_NAME_LENGTH:
        name = f"{stem[: MAX_NAME_LENGTH - len(extension) - 1].rstrip('. ')}.{extension}"
    return name


def _log_name(name: str) -> str:
    """The name as it may appear in a log line or the audit trail: escaped and short."""
    escaped = name.encode("unicode_escape", errors="backslashreplace").decode("ascii")
    return escaped[:200]
