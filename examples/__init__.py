"""Runnable example systems for arvo_temporal (see examples/README.md).

* ``calculator``: a service handler (``com.calculator.add``) and the ``arvo.orc.adder``
  orchestrator that calls it.
* ``parent_child``: ``arvo.orc.checkout`` runs the adder as a child orchestration.
* ``approval``: ``arvo.orc.expense`` asks a person (the ``external`` domain) and times out.

``examples.app`` bundles them into one ``ArvoApp``; ``python -m examples.demo`` runs them all.
"""
