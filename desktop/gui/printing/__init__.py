"""Printing: the print buttons under the decision, the PDF preview that takes the number on Print or
Save, the estimate's service picker."""
