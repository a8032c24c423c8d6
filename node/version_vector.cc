// placeholder until node sources land
