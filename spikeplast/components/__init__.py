"""The model catalogue: published neuron models as :class:`~spikeplast.NeuronGroup` s.

Each component is one small file with its equations, a units table and the paper it comes
from; ``params`` override its defaults, ``current`` adds an input current and ``extra``
the equations that current needs (synaptic variables, for example).
"""

from .adaptive_lif import AdaptiveThresholdLIF
from .adex import AdEx
from .eif import EIF
from .hodgkin_huxley import HodgkinHuxley
from .izhikevich import Izhikevich
from .qif import QIF

__all__ = ["AdEx", "EIF", "Izhikevich", "HodgkinHuxley", "AdaptiveThresholdLIF", "QIF"]
