"""The pipeline's stages: pure, typed functions over messages. No Kafka, no I/O, no metrics.

``normalize`` turns an input article into clean text with sentence offsets,
``entities`` tags who and where, ``sanctions`` flags sanctions-relevant events.
Objects that precompile state (automata, regexes) are built once and reused.
"""
