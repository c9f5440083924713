"""PDFs drawn from several threads at once (gthread workers, two batches together) stay whole."""

from concurrent.futures import ThreadPoolExecutor

from app.certificates import pdf

LETTERS = "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"


def page(n: int) -> pdf.Page:
    # Each document uses a different run of letters, so each font subset differs.
    name = "".join(LETTERS[(n * 7 + i) % len(LETTERS)] for i in range(12))
    return pdf.Page(
        parent_body="UBND TỈNH LẠNG SƠN",
        issuing_body="SỞ NỘI VỤ",
        title="GIẤY CHỨNG NHẬN",
        salutation="Bà",
        full_name=f"Hoàng Thị {name}",
        birth="Năm sinh: 1985",
        unit=f"Thôn {name.lower()}",
        completion_line="Đã hoàn thành lớp tập huấn",
        course="Nâng cao năng lực giảm nghèo",
        period="từ ngày 10/05/2023 đến ngày 11/05/2023",
        venue="Hội trường",
        result="",
        date_line="Lạng Sơn, ngày 12 tháng 5 năm 2023",
        authority_line="KT. GIÁM ĐỐC",
        signer_title="PHÓ GIÁM ĐỐC",
        signer_name="Nguyễn Văn Mẫu",
        serial=f"{n:04d}/GCN",
        verify_url="http://127.0.0.1:5000/verify/x",
    )


def test_documents_drawn_in_parallel_threads_are_all_complete():
    with ThreadPoolExecutor(max_workers=8) as pool:
        documents = list(pool.map(lambda n: pdf.render([page(n)]), range(200)))
    assert all(d.startswith(b"%PDF") and d.rstrip().endswith(b"%%EOF") for d in documents)
