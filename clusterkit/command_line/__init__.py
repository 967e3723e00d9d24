"""The command line's shared parts: its options (:mod:`.options`) and how a command reports (:mod:`.reporting`)."""
