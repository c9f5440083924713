"""Training materials (tài liệu): a library of documents per topic, versioned, attached to activities."""
