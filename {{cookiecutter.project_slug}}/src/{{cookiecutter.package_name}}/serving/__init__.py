"""The HTTP service: one model from the registry served over HTTP, following its stage tag
(`serve --follow`), every prediction appended to a log the drift check can read."""
