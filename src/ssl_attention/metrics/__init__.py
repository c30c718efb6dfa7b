"""Localisation metrics: does a model attend where the ground-truth boxes are?"""
