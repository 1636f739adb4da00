# applied with the credentials of account 111122223333
