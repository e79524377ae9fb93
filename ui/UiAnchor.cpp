int sluiceUiAnchor = 0;
