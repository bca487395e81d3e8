"""Base types every layer may import: errors and settings (ingest/, vectorstore/, bot/ and server/ sit above)."""
