"""Evaluation harness for alert correlation: scenarios with ground truth, metrics, baselines.

Scenarios are generated from real microservice topologies (bundled under ``topologies/``, each
with the ``source`` it was read from) and from synthetic large graphs, so accuracy claims can be
reproduced by anyone with ``python benchmarks/eval_accuracy.py``.
"""
