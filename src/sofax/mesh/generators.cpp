namespace sofax::mesh {}
