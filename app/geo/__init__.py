"""Administrative units (province, district, commune, village) as effective-dated data."""
