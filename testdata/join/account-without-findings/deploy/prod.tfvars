# applied with the credentials of account 444455556666
