"""Liputan's spiders."""
