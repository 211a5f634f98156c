"""Drawing a QR image a page can show inline (the CSP allows data: images): her code token, which a counter
scanner reads off her screen, and the verification link printed on a statement. Leaf module: no app.

libzint (through zint-bindings) draws them: the pure-Python encoders cost 3-9 ms for one code token, the
largest part of the code page, and libzint 0.2 ms (docs/decisions.md, "QR codes drawn by libzint")."""

from __future__ import annotations

import base64

import zint

# The standard lets the encoder pick any of the eight masks; choosing the best one for each code tries all
# eight and cost 14 ms of the code page's ~20 ms QR time. Mask 2 had the lowest average penalty over random
# code tokens (1,701 against 1,754-1,974 for the others), and scanners read every mask the same.
FIXED_MASK = 2
_ECC_M = 2  # error correction level M: 15% of the code may be smudged or covered
_QUIET_ZONE = 4  # modules of white around the code, as the standard asks


def _symbol(text: str) -> zint.Symbol:
    symbol = zint.Symbol()
    symbol.symbology = zint.Symbology.QRCODE
    symbol.option_1 = _ECC_M
    symbol.option_3 = (FIXED_MASK + 1) << 8  # libzint numbers the masks from 1 in bits 8-10
    symbol.output_options = zint.OutputOptions.BARCODE_MEMORY_FILE | zint.OutputOptions.BARCODE_QUIET_ZONES
    symbol.encode(text)
    return symbol


def qr_png_data_uri(text: str, *, scale: int = 1) -> str:
    """`scale` pixels per module; one by default: the page draws it at its size with `image-rendering:
    pixelated` (static/css/portal.css, `.qr`), so the phone gets sharp squares from a 65×65 PNG."""
    symbol = _symbol(text)
    symbol.scale = scale / 2  # libzint's scale counts two pixels per module
    symbol.outfile = "qr.png"  # with BARCODE_MEMORY_FILE only the suffix matters: it picks PNG
    symbol.print(0)
    return "data:image/png;base64," + base64.b64encode(bytes(symbol.memfile)).decode()


def qr_text(text: str) -> str:
    """The code in half-block characters, dark on light, for a terminal (two rows of modules per line)."""
    symbol = _symbol(text)
    bits = memoryview(symbol.encoded_data)
    size = symbol.width

    def dark(row: int, col: int) -> bool:
        inside = 0 <= row < size and 0 <= col < size
        return inside and bool(bits[row, col >> 3] >> (col & 7) & 1)

    span = range(-_QUIET_ZONE, size + _QUIET_ZONE)
    glyphs = {(False, False): "█", (True, False): "▄", (False, True): "▀", (True, True): " "}
    return "\n".join("".join(glyphs[dark(row, col), dark(row + 1, col)] for col in span)
                     for row in range(-_QUIET_ZONE, size + _QUIET_ZONE, 2)) + "\n"
