"""The model catalogue: published neuron models as :class:`~spikeplast.NeuronGroup` s.

Each component is one small file with its equations, a units table and the paper it comes
from; ``params`` override its defaults, ``current`` adds an input current and ``extra``
the equations that current needs; ``ports`` adds synaptic ports (:func:`exponential`,
:func:`alpha`, :func:`biexponential`, :func:`nmda`), each one file too.
"""

from ._base import SynapticPort
from .adaptive_lif import AdaptiveThresholdLIF
from .adex import AdEx
from .alpha import alpha
from .biexponential import biexponential
from .eif import EIF
from .exponential import exponential
from .hodgkin_huxley import HodgkinHuxley
from .izhikevich import Izhikevich
from .nmda import nmda
from .qif import QIF

__all__ = ["AdEx", "EIF", "Izhikevich", "HodgkinHuxley", "AdaptiveThresholdLIF", "QIF",
           "SynapticPort", "exponential", "alpha", "biexponential", "nmda"]
