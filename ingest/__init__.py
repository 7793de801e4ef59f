"""Ingest: load report files, parse them into a section tree, chunk them and index them."""
