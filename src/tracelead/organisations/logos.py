"""A system's logo: which files are accepted, and the check each upload passes.

The logo is printed on the cover of the PDF reports and shown on the system's settings
page. PNG and JPEG are read with Pillow (WeasyPrint's own image library) to prove they are
images; an SVG is parsed as XML and refused if it could run a script or fetch anything
(scripts, event attributes, foreign objects, links to other files). The file is always
shown through an ``<img>`` (which never runs scripts) or a data URI in the PDF.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

MAX_LOGO_BYTES = 1024 * 1024
LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
              ".svg": "image/svg+xml"}
_SVG_FORBIDDEN = {"script", "foreignobject", "iframe", "embed", "object", "audio", "video"}
_TOO_LARGE = "The logo must be smaller than 1 MB"
_WRONG_TYPE = "The logo must be a PNG, JPEG or SVG image"


def logo_kind(name: str) -> str | None:
    """The content type of a stored logo, from its file name's extension."""
    return LOGO_TYPES.get(PurePath(name).suffix.lower())


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _check_svg(data: bytes) -> None:
    if b"<!ENTITY" in data or b"<!DOCTYPE" in data:
        raise ValidationError("The SVG file must not declare a document type or entities")
    try:
        root = ET.fromstring(data)  # noqa: S314 - DOCTYPE and entities refused above, 1 MB cap
    except ET.ParseError as error:
        raise ValidationError("The SVG file could not be read as an image") from error
    if _local(root.tag) != "svg":
        raise ValidationError("The SVG file could not be read as an image")
    for element in root.iter():
        if _local(element.tag) in _SVG_FORBIDDEN:
            raise ValidationError("The SVG file must not contain scripts or embedded pages")
        for attribute, value in element.attrib.items():
            name = _local(attribute)
            if name.startswith("on"):
                raise ValidationError("The SVG file must not contain scripts")
            if name == "href" and not (value.startswith("#")
                                       or value.startswith("data:image/")):
                raise ValidationError("The SVG file must not link to other files")
        style = (element.text or "") if _local(element.tag) == "style" else ""
        if re.search(r"url\(\s*['\"]?(?!#|data:image/)", style + element.get("style", "")):
            raise ValidationError("The SVG file must not link to other files")


def _check_bitmap(data: bytes, kind: str) -> None:
    from PIL import Image, UnidentifiedImageError

    expected = "PNG" if kind == "image/png" else "JPEG"
    try:
        with Image.open(io.BytesIO(data)) as image:
            found = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise ValidationError(_WRONG_TYPE) from error
    if found != expected:
        raise ValidationError(f"The file is named as a {expected} image but is not one")


def check_logo(upload: UploadedFile) -> bytes:
    """The upload's bytes once they are a PNG, JPEG or safe SVG under 1 MB.

    Raises ``ValidationError`` with a message for the form otherwise.
    """
    kind = logo_kind(upload.name or "")
    if kind is None:
        raise ValidationError(_WRONG_TYPE)
    if upload.size is not None and upload.size > MAX_LOGO_BYTES:
        raise ValidationError(_TOO_LARGE)
    upload.seek(0)
    data = upload.read(MAX_LOGO_BYTES + 1)
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationError(_TOO_LARGE)
    if not data:
        raise ValidationError("The logo file is empty")
    if kind == "image/svg+xml":
        _check_svg(data)
    else:
        _check_bitmap(data, kind)
    return data
