import LipLP
