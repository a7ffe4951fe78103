"""Shared presentation pieces for the pages: context (scope, period, viewer), cached data, tiles, exports."""
