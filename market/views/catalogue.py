"""Platform admin: the service item, qualification type and region catalogues. (stub)"""
