"""Our two programs and what they share: data-parallel training (Ray Train) and a grid search (Ray Tune).

`data_parallel.py` and `grid_search.py` run the one training loop of `loop.py` on the MNIST data
`mnist.py` and `data.py` read, with the model of `model.py`; `outputs.py` writes the model folder,
`results.py` the search's table and heatmap, `storage.py` finds earlier runs' state.
"""
