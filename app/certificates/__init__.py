"""Certificates (giấy chứng nhận): eligibility, a register of serials, PDFs, public verification."""
