"""The module engine: grids of any ``torch.nn.Module`` trained at once through ``torch.func``.

``TorchClassifier`` (``estimator.py``) fits the user's own module with a plain
``torch.optim`` loop and declares :class:`~parsearch.torchnet.engine.TorchEngine`
(``engine.py``). A fused run (``fused.py``) stacks the models' parameters and buffers
(``torch.func.stack_module_state``), takes every model's loss through one ``vmap`` over
``functional_call`` and one backward pass per step, and updates every model with its own
hyperparameters (``optim.py``, torch.optim's arithmetic on the stacked tensors).
``params.py`` holds the parameter names and checks (no torch), ``build.py`` builds the
seeded module and reads its outputs as classes.
"""
