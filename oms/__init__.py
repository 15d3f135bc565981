"""Orders, customers and channels; orchestrates fulfillment, returns and inventory. Also the
composition root (`oms.app.create_app`), configuration and the operators' CLI."""
