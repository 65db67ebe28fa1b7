"""The faust worker: the only package that imports faust.

transport.py  the faust app and its Kafka transport (idempotent producer, fetch wait)
app.py        the agents and tables, built from the topology (pipeline/topology.py)
delivery.py   acknowledging an input once its outputs are on the broker
tasks.py      the watchlist (caught up before consuming, then followed) and lag tasks
run.py        the worker process: start-up, bounded shutdown, a loud stop on failure
"""
