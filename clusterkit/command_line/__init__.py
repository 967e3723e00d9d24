"""The command line's parts: its shared options (:mod:`.options`), how a command reports (:mod:`.reporting`), and
the commands :mod:`cli` registers beside its own (:mod:`.budgets`, :mod:`.scoring`, :mod:`.explore`)."""
