from keras.layers import Dense, Dropout, LSTM # importing the modules needed for neural network
from keras.models import Sequential

model = Sequential() # establishing a Sequential model
# add LSTM layer with 50 cells and ReLU activation function
model.add(LSTM(units = 50, activation = 'relu', return_sequences=True, input_shape = (x_train.shape[1], 1)))
model.add(Dropout(0.2)) # the fraction of neurons to be dropped out in each run

model.add(LSTM(units = 60, activation = 'relu', return_sequences=True))
model.add(Dropout(0.3))

model.add(LSTM(units = 80, activation = 'relu', return_sequences=True))
model.add(Dropout(0.4))

model.add(LSTM(units = 120, activation = 'relu'))
model.add(Dropout(0.5))

model.add(Dense(units = 1))
