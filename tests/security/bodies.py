"""Response bodies as text, whatever the format: HTML/JSON/CSV, .xlsx, .docx, PDF, .zip of PDFs."""

import io
import subprocess
import tempfile
import zipfile


def xlsx_cells(data: bytes) -> list:
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        return subprocess.run(
            ["pdftotext", "-enc", "UTF-8", handle.name, "-"], capture_output=True, check=True, timeout=60
        ).stdout.decode()


def docx_text(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def file_text(data: bytes, mimetype: str) -> str:
    if "spreadsheetml" in mimetype:
        return "\n".join(str(c.value) for c in xlsx_cells(data) if c.value is not None)
    if "wordprocessingml" in mimetype:
        return docx_text(data)
    if mimetype == "application/pdf":
        return pdf_text(data)
    if mimetype == "application/zip":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(
                name + "\n" + (pdf_text(archive.read(name)) if name.endswith(".pdf") else "")
                for name in archive.namelist()
            )
    return data.decode("utf-8", errors="replace")


def body_text(response) -> str:
    return file_text(response.get_data(), response.mimetype)
